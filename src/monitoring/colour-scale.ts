/**
 * The sequential scale of the map: no attempts, then five classes from light to dark of one hue
 * (ColorBrewer "Blues"), so that more attempts are always darker — in colour, in greyscale and for
 * colour-blind readers alike (CIE lightness falls with every class; the test checks it).
 */
export const NO_ATTEMPTS_FILL = '#ececec';

/** Fills of classes 1..5 (class 0 is {@link NO_ATTEMPTS_FILL}). */
export const CLASS_FILLS: readonly string[] = ['#c6dbef', '#9ecae1', '#6baed6', '#3182bd', '#08519c'];

/** One class of the legend: the counts it holds (inclusive) and its fill. */
export interface ScaleClass {
  from: number;
  to: number;
  fill: string;
}

/**
 * A scale over counts up to `max`: classes on a logarithmic spread (attempts per country span
 * orders of magnitude, one busy country would otherwise leave every other one in the lightest class).
 */
export class CountScale {
  readonly classes: readonly ScaleClass[];
  private readonly uppers: number[];

  constructor(readonly max: number) {
    const steps = CLASS_FILLS.length;
    this.uppers = CLASS_FILLS.map((_, k) =>
      k === steps - 1 ? Math.max(1, max) : Math.floor((max + 1) ** ((k + 1) / steps) - 1 + 1e-9),
    );
    const classes: ScaleClass[] = [];
    let from = 1;
    this.uppers.forEach((to, k) => {
      if (to >= from) classes.push({ from, to, fill: CLASS_FILLS[k]! });
      from = Math.max(from, to + 1);
    });
    this.classes = classes;
  }

  /** The fill of a country with `count` attempts. */
  fill(count: number): string {
    if (count <= 0) return NO_ATTEMPTS_FILL;
    return (this.classes.find((c) => count <= c.to) ?? this.classes.at(-1)!).fill;
  }
}

/** CIE L* (0 black – 100 white) of a #rrggbb colour: what a greyscale print keeps of it. */
export function lightness(hex: string): number {
  const channel = (i: number) => {
    const c = Number.parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const y = 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
  return y > 216 / 24389 ? 116 * Math.cbrt(y) - 16 : (24389 / 27) * y;
}
