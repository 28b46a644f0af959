// Tests for Planner live beside this file.
