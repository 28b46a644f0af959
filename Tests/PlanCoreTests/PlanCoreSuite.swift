// Tests for PlanCore live beside this file.
