import { describe, expect, it } from 'vitest';
import { DEADLINE_HEADER, earliest, parseDeadlineHeader } from '../../src/resilience/deadline.js';

describe('DEADLINE_HEADER', () => {
  it('is a lower-case header name', () => {
    expect(DEADLINE_HEADER).toBe('x-inmesh-timeout-ms');
  });
});

describe('parseDeadlineHeader', () => {
  it('reads whole milliseconds', () => {
    expect(parseDeadlineHeader('250')).toBe(250);
    expect(parseDeadlineHeader('0')).toBe(0);
  });

  it('takes the first of repeated values', () => {
    expect(parseDeadlineHeader(['100', '900'])).toBe(100);
  });

  it('accepts up to a day and rejects more', () => {
    expect(parseDeadlineHeader('86400000')).toBe(86_400_000);
    expect(parseDeadlineHeader('86400001')).toBeUndefined();
    expect(parseDeadlineHeader('1234567890')).toBeUndefined();
  });

  it('is undefined when absent or malformed', () => {
    for (const value of [undefined, [], '', ' 5', '5 ', '-5', '1.5', '1e3', '0x10', 'soon', '5ms']) {
      expect(parseDeadlineHeader(value)).toBeUndefined();
    }
  });
});

describe('earliest', () => {
  it('is the earlier of two deadlines', () => {
    expect(earliest(100, 200)).toBe(100);
    expect(earliest(300, 200)).toBe(200);
  });

  it('treats undefined as no deadline', () => {
    expect(earliest(undefined, 200)).toBe(200);
    expect(earliest(100, undefined)).toBe(100);
    expect(earliest(undefined, undefined)).toBeUndefined();
  });

  it('keeps a deadline of 0 (not the same as none)', () => {
    expect(earliest(0, 500)).toBe(0);
    expect(earliest(500, 0)).toBe(0);
  });
});
