/**
 * What a voice call says: the passcode's digits one by one, in the caller's language, said
 * twice, so that a person can write them down.
 */

const DIGIT_WORDS: Record<string, readonly string[]> = {
  en: ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'],
  fr: ['zéro', 'un', 'deux', 'trois', 'quatre', 'cinq', 'six', 'sept', 'huit', 'neuf'],
  de: ['null', 'eins', 'zwei', 'drei', 'vier', 'fünf', 'sechs', 'sieben', 'acht', 'neun'],
  es: ['cero', 'uno', 'dos', 'tres', 'cuatro', 'cinco', 'seis', 'siete', 'ocho', 'nueve'],
};

const SENTENCES: Record<string, { intro: string; repeat: string }> = {
  en: { intro: 'Your passcode is', repeat: 'I repeat:' },
  fr: { intro: 'Votre code est', repeat: 'Je répète :' },
  de: { intro: 'Ihr Code lautet', repeat: 'Ich wiederhole:' },
  es: { intro: 'Su código es', repeat: 'Repito:' },
};

function primary(language: string): string {
  return language.toLowerCase().split(/[-_]/)[0] ?? 'en';
}

/**
 * The digits of a code one by one, separated by commas so that speech synthesis pauses between
 * them: "four, eight, one" in English, "quatre, huit, un" in French; other languages get the
 * digits themselves ("4, 8, 1"). Characters other than digits are read as they are.
 */
export function spokenDigits(code: string, language: string): string {
  const words = DIGIT_WORDS[primary(language)];
  return [...code.replace(/\s/g, '')]
    .map((c) => (words && c >= '0' && c <= '9' ? (words[Number(c)] as string) : c))
    .join(', ');
}

/** The whole spoken message of a voice call: the code, then the code again. */
export function spokenPasscode(code: string, language: string): string {
  const sentence = SENTENCES[primary(language)] ?? (SENTENCES.en as { intro: string; repeat: string });
  const digits = spokenDigits(code, language);
  return `${sentence.intro} ${digits}. ${sentence.repeat} ${digits}.`;
}

/** The passcode inside a text message (its longest run of four or more digits), if any. */
export function passcodeIn(text: string): string | undefined {
  const runs = text.match(/\d{4,}/g) ?? [];
  return runs.sort((a, b) => b.length - a.length)[0];
}
