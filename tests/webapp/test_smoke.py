from flask.testing import FlaskClient

from tests.webapp.conftest import login


def test_inbox_shows_step_1_after_a_plan_is_started(client: FlaskClient) -> None:
    login(client, "ppid.utama")
    page = client.get("/tasks")
    assert page.status_code == 200, page.get_data(as_text=True)


def test_the_header_names_the_users_roles_by_their_labels(client: FlaskClient) -> None:
    login(client, "plid.utama")
    page = client.get("/tasks").get_data(as_text=True)
    assert 'title="PLID Utama"' in page and "plid_utama" not in page
