// The error of every config.json problem: one line naming the file and the field.
export class ConfigError extends Error {
  override name = 'ConfigError';
}
