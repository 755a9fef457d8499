import { ValidationError } from '../../ceremonies/validation';

/** The problems of the ValidationError `fn` throws (it must throw one). */
export function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.problems;
    throw err;
  }
  throw new Error('expected a ValidationError');
}
