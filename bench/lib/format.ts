/** A number for a results table: thousands separated, fixed decimals. */
export const formatNumber = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
