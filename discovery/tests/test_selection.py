from discovery.selection import canonical, normalize_selection, selection_hash

AWS_CONFIG = {"account_id": "111111111111", "regions": ["us-east-1", "eu-west-1"]}


def test_hash_ignores_key_and_array_order():
    a = {"regions": ["us-east-1", "eu-west-1"], "accounts": ["2", "1"], "kinds": ["ecs", "lambda"]}
    b = {"kinds": ["lambda", "ecs"], "accounts": ["1", "2"], "regions": ["eu-west-1", "us-east-1"]}
    assert selection_hash(a) == selection_hash(b)
    assert len(selection_hash(a)) == 64


def test_hash_changes_with_content():
    assert selection_hash({"kinds": ["ecs"]}) != selection_hash({"kinds": ["lambda"]})


def test_canonical_sorts_nested_structures():
    assert canonical({"b": [3, 1, {"y": 1, "x": [2, 1]}], "a": 1}) == {"a": 1, "b": [1, 3, {"x": [1, 2], "y": 1}]}


def test_everything_spelled_out_equals_omitted():
    full = normalize_selection("aws", AWS_CONFIG, None)
    spelled = normalize_selection("aws", AWS_CONFIG, {"regions": ["eu-west-1", "us-east-1"], "kinds": full["kinds"]})
    assert selection_hash(full) == selection_hash(spelled)


def test_selection_is_narrowed_to_the_connection():
    sel = normalize_selection("aws", AWS_CONFIG, {"regions": ["us-east-1", "ap-south-1"], "kinds": ["ecs", "nope"]})
    assert sel["regions"] == ["us-east-1"] and sel["kinds"] == ["ecs"] and sel["accounts"] == ["111111111111"]
