"""marshmallow schemas: validate input, dump API output."""
