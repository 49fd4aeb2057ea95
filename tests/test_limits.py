from workshop.core.limits import RateLimit


def test_a_burst_is_allowed_then_refused_until_tokens_refill():
    limit = RateLimit(per_second=2, burst=3)
    assert [limit.allow("ip", 0.0) for _ in range(4)] == [True, True, True, False]
    assert limit.allow("ip", 0.5) is True
    assert limit.allow("ip", 0.5) is False


def test_keys_are_limited_separately():
    limit = RateLimit(per_second=1, burst=1)
    assert limit.allow("a", 0) and limit.allow("b", 0)
    assert not limit.allow("a", 0)


def test_a_full_table_forgets_buckets_that_have_refilled():
    limit = RateLimit(per_second=1, burst=1, max_keys=2)
    limit.allow("a", 0)
    limit.allow("b", 0)
    limit.allow("c", 10)
    assert set(limit.buckets) == {"c"}
