"""NLU: Rasa training data, the model cache, parse backends and date resolution."""
