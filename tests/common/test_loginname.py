from services.common.loginname import login_name


def test_one_normal_form() -> None:
    for spelling in ("user9@example.test", " User9@Example.TEST. ", "user9@example.test..", "USER9@EXAMPLE.TEST"):
        assert login_name(spelling) == "user9@example.test"
    assert login_name("no-at-sign.") == "no-at-sign."
