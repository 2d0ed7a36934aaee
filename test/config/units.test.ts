import { describe, expect, it } from 'vitest';
import { isDuration, isSize, parseDuration, parseSize } from '../../src/config/units.js';

describe('durations', () => {
  it('parse each unit to milliseconds', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('2s')).toBe(2_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('0s')).toBe(0);
  });

  it('take decimals', () => {
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('0.25s')).toBe(250);
  });

  it('accept what isDuration accepts', () => {
    for (const text of ['1ms', '10s', '1.5m', '2h', '300s']) {
      expect(isDuration(text)).toBe(true);
      expect(() => parseDuration(text)).not.toThrow();
    }
  });

  it('reject anything else, and parseDuration says what to write', () => {
    for (const text of ['', '2', '2 s', ' 2s', '2s ', '2S', '-1s', '.5s', '1.s', '1d', 'ms', '1e3ms', '2sec', '1m30s']) {
      expect(isDuration(text)).toBe(false);
      expect(() => parseDuration(text)).toThrow(TypeError);
    }
    expect(() => parseDuration('2 seconds')).toThrow(/not a duration: "2 seconds" \(use e\.g\. 250ms/);
  });
});

describe('sizes', () => {
  it('parse binary and decimal units to bytes', () => {
    expect(parseSize('64KiB')).toBe(65_536);
    expect(parseSize('1MiB')).toBe(1_048_576);
    expect(parseSize('2GiB')).toBe(2 * 1024 ** 3);
    expect(parseSize('1kB')).toBe(1_000);
    expect(parseSize('3MB')).toBe(3_000_000);
    expect(parseSize('1GB')).toBe(1_000_000_000);
    expect(parseSize('10B')).toBe(10);
  });

  it('read a bare number as bytes', () => {
    expect(parseSize('512')).toBe(512);
    expect(parseSize('0')).toBe(0);
  });

  it('accept what isSize accepts', () => {
    for (const text of ['64KiB', '1MiB', '512', '7B']) {
      expect(isSize(text)).toBe(true);
      expect(() => parseSize(text)).not.toThrow();
    }
  });

  it('reject anything else, and parseSize says what to write', () => {
    for (const text of ['', '1.5MiB', '64 KiB', '64kib', '64K', '64KB', '-1', 'KiB', '1TiB', ' 64KiB']) {
      expect(isSize(text)).toBe(false);
      expect(() => parseSize(text)).toThrow(TypeError);
    }
    expect(() => parseSize('lots')).toThrow(/not a size: "lots" \(use e\.g\. 64KiB/);
  });
});
