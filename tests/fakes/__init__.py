"""Loopback stand-ins for the outside world: real servers on 127.0.0.1 that the real clients talk to."""

import pytest

# The Sheets fake is also loaded as a pytest plugin (its fixtures): let pytest rewrite its
# asserts however it is first imported, instead of warning that it could not.
pytest.register_assert_rewrite("fakes.sheets_api")
