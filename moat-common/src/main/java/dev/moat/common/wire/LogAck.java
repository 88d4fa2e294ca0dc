package dev.moat.common.wire;

/**
 * The server's answer to a {@link LogBatch}: every chunk below {@code next} is stored. The agent
 * drops those and resends from {@code next} (which also covers a gap, should one ever arise).
 */
public record LogAck(long next) {}
