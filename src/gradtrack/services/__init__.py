"""Core operations on the store.  Each function takes a Session and never commits: the CLI
owns the transaction (one per command)."""
