// Reference scenario suites live beside this file.
