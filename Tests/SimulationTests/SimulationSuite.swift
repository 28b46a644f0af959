// Tests for Simulation live beside this file.
