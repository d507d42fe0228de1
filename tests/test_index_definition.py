from search.management.commands.export_index_settings import MIRROR, mirror_text


def test_operator_copy_of_the_index_settings_is_current():
    assert MIRROR.read_text() == mirror_text(), "run `python manage.py export_index_settings`"
