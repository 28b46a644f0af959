print("llmplan")
