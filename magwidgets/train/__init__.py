"""Training magwidgets' networks on your own music: data pipelines (``data``) and the
training and export tools built on them."""
