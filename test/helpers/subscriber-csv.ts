import { parse } from 'csv-parse/sync';
import { detectDelimiter, subscriberCsvOptions, SubscriberCsvReader, type CsvColumnsUsed, type CsvRejectedRow, type CsvSubscriberRow } from '../../src/core/subscriber-csv.js';

export interface ReadCsv {
  rows: CsvSubscriberRow[];
  rejected: CsvRejectedRow[];
  columns: CsvColumnsUsed | undefined;
}

/**
 * Reads CSV text the way the import reads a file (csv-parse with the import's options, every record
 * through SubscriberCsvReader as the parser emits it), all at once. Duplicates are left in:
 * finding them is the store's job.
 */
export function readSubscriberCsvText(text: string, file: string): ReadCsv {
  const reader = new SubscriberCsvReader(file);
  const result: ReadCsv = { rows: [], rejected: [], columns: undefined };
  const onRecord = (record: string[]) => {
    const outcome = reader.read(record);
    if (outcome.kind === 'row') result.rows.push(outcome.row);
    else if (outcome.kind === 'rejected') result.rejected.push(outcome.rejected);
    else if (outcome.kind === 'header') result.columns = outcome.used;
    return null;
  };
  try {
    parse(text, { ...subscriberCsvOptions(detectDelimiter(text)), on_record: onRecord });
  } catch (error) {
    throw reader.describeParseError(error);
  }
  reader.finish();
  return result;
}
