"""Application layer: config, composition root, services, scheduler jobs, CLI, benchmarks."""
