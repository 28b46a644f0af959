// Tests for PlanCore: units, the model / GPU / cluster catalog, validation errors, bisection.
// Shared fixtures are in TestSupport.swift.
