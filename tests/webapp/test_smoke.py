from flask.testing import FlaskClient

from tests.webapp.conftest import login


def test_inbox_shows_step_1_after_a_plan_is_started(client: FlaskClient) -> None:
    login(client, "ppid.utama")
    page = client.get("/tasks")
    assert page.status_code == 200, page.get_data(as_text=True)
