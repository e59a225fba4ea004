from __future__ import annotations

from openkyc.engine.document.text import compact, edit_distance, fold, fuzzy_find, unconfuse, words


def test_fold_and_compact() -> None:
    assert fold("Müller-Lüdenscheidt") == "MULLER-LUDENSCHEIDT"
    assert fold("Müller", two_letter=True) == "MUELLER"
    assert fold("Øster Æbelø") == "OSTER AEBELO"
    assert words("ERIKSSON<<ANNA<MARIA") == "ERIKSSON ANNA MARIA"
    assert compact("Date of birth / Date de naissance") == "DATEOFBIRTHDATEDENAISSANCE"


def test_unconfuse_maps_lookalikes_to_digits() -> None:
    assert unconfuse("L898902C3") == unconfuse("1898902C3")
    assert unconfuse("AB O12") == unconfuse("AB012")


def test_edit_distance() -> None:
    assert edit_distance("KITTEN", "SITTING") == 3
    assert edit_distance("", "ABC") == 3
    assert edit_distance("SAME", "SAME") == 0
    assert edit_distance("ABCDEFGH", "A", limit=2) == 3


def test_fuzzy_find() -> None:
    assert fuzzy_find("ERIKSSON", "SURNAMEERIKSSON") == 0
    assert fuzzy_find("ERIKSSON", "ERIKSS0N") == 1
    assert fuzzy_find("ERIKSSON", "ANDERSSON") is None
    assert fuzzy_find("ERIKSSON", "ERIKSS0N", limit=0) is None
