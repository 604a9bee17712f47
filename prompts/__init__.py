"""konform's prompts per language, shipped as the package data ``konform_sandbox.prompts``."""
