"""The built-in benchmarks and the crash/soak harness; only `membank-cli bench ...` imports this."""
