def test_a_long_freeze_is_seen_and_made_up_for(handler_path, lifecycle):
    handler = lifecycle.load(handler_path)
    lifecycle.invoke(handler.lambda_handler, {"event": "a"})
    lifecycle.idle(1)
    lifecycle.invoke(handler.lambda_handler, {"event": "b"})
    lifecycle.idle(600)  # ten minutes frozen: the background thread did not run either
    result = lifecycle.invoke(handler.lambda_handler, {"event": "c"})
    assert result == {"frozen_s": 600.0, "buffered": 1}
    assert handler.flushed == [("after a freeze", ["a", "b"])]
    assert [r.get("IdleTime", 0) // 1000 for r in lifecycle.invocations] == [0, 1, 600]
    lifecycle.shutdown()
    assert handler.flushed[-1] == ("shutdown", ["c"])
