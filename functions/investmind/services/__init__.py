"""The use cases: what the API routes and the Lambda handlers call. They take ports only."""
