/** Milliseconds in `n` seconds. */
export const seconds = (n: number): number => n * 1000;
/** Milliseconds in `n` minutes. */
export const minutes = (n: number): number => n * 60_000;
/** Milliseconds in `n` hours. */
export const hours = (n: number): number => n * 3_600_000;
/** Milliseconds in `n` days. */
export const days = (n: number): number => n * 86_400_000;
