"""`ccstream` commands. Each module registers its commands on the Typer app; none holds business logic."""
