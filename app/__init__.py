"""Application layer: config, composition root, the AssistantService facade, scheduler and CLI."""
