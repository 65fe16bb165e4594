"""One thin module per Lambda: parse the event, call the package, shape the result."""
