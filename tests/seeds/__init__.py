"""End-to-end tests of the seed tutorials (examples/)."""
