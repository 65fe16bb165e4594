"""The `investmind` command: a client of the HTTP API (and the local runtime's launcher).

It lives outside `functions/` (every function's CodeUri), so it never ships in a Lambda package.
"""
