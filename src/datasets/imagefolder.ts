// The imagefolder builder over loose image files and image archives (zip, tar, tar.gz), like
// `datasets`' folder-based builder: loose files first, then each archive's images in walk order;
// labels from the parent folder names (a ClassLabel of the sorted names, added when there is more
// than one and all images sit at the same depth, unless dropLabels says otherwise). When the dataset
// card declares features made of one Image column, at most one ClassLabel and at most one string
// column (as `beans` does: image_file_path, image, labels), rows are built in those columns.
import { basename, dirname, extname } from 'node:path';
import { ArchiveIndex, ArchiveMemberColumn, isArchiveFile, ArchiveError } from './archives';
import { ArrayColumn, ConcatColumn, type Column } from './columns';
import { ClassLabel, Features, Image, Value } from './features';

export const IMAGE_EXTENSIONS = new Set(['.bmp', '.dib', '.gif', '.png', '.apng', '.jpg', '.jpeg', '.jpe', '.jfif', '.tif', '.tiff', '.webp', '.ppm', '.pgm', '.pbm', '.pnm', '.ico', '.jp2', '.avif', '.heic']);

export interface Table {
  numRows: number;
  features: Features;
  columns: Map<string, Column>;
}

const isImage = (p: string) => IMAGE_EXTENSIONS.has(extname(p).toLowerCase());

interface SplitImages {
  /** Label source of each row: the file path, or the member path inside its archive. */
  names: string[];
  /** The path each row reports (loose file path, or `zip://member::archive`). */
  paths: string[];
  image: Column;
}

/** Column names when the card's features can be filled from an imagefolder, else null. */
export function imagefolderColumns(features: Features): { image: string; label?: string; path?: string } | null {
  let image: string | undefined;
  let label: string | undefined;
  let path: string | undefined;
  for (const [k, f] of features) {
    if (f instanceof Image && !image) image = k;
    else if (f instanceof ClassLabel && !label) label = k;
    else if (f instanceof Value && f.dtype === 'string' && !path) path = k;
    else return null;
  }
  return image ? { image, label, path } : null;
}

async function splitImages(files: string[], extractDir: string): Promise<SplitImages> {
  const loose = files.filter((f) => !isArchiveFile(f) && isImage(f));
  const names = [...loose];
  const paths = [...loose];
  const parts: Column[] = [new ArrayColumn(loose.map((f) => ({ bytes: null, path: f })))];
  for (const f of files.filter(isArchiveFile)) {
    const archive = await ArchiveIndex.open(f, extractDir);
    const idx = archive.members.map((m, i) => (isImage(m.name) ? i : -1)).filter((i) => i >= 0);
    if (!idx.length) throw new ArchiveError(`${basename(f)} holds no images: hubtune reads archives of images as an imagefolder`);
    for (const i of idx) {
      names.push(archive.members[i].name);
      paths.push(archive.memberUrl(archive.members[i].name));
    }
    parts.push(new ArchiveMemberColumn(archive, idx));
  }
  return { names, paths, image: parts.length === 1 ? parts[0] : new ConcatColumn(parts) };
}

/** Builds each split's table; `features` (from the card or the caller) is honoured when it fits. */
export async function imagefolderTables(
  splits: Record<string, string[]>,
  o: { features?: Features | null; dropLabels?: boolean; extractDir: string },
): Promise<{ tables: Record<string, Table>; usedFeatures: boolean }> {
  const images: Record<string, SplitImages> = {};
  for (const [split, files] of Object.entries(splits)) images[split] = await splitImages(files, o.extractDir);
  const folder = (n: string) => basename(dirname(n));
  const mapped = o.features ? imagefolderColumns(o.features) : null;
  const tables: Record<string, Table> = {};
  if (mapped && o.features) {
    const labels = mapped.label ? (o.features.get(mapped.label) as ClassLabel) : null;
    for (const [split, s] of Object.entries(images)) {
      const columns = new Map<string, Column>();
      for (const k of o.features.keys()) {
        if (k === mapped.image) columns.set(k, s.image);
        else if (k === mapped.path) columns.set(k, new ArrayColumn(s.paths));
        else if (k === mapped.label) {
          columns.set(k, new ArrayColumn(s.names.map((n) => {
            const name = folder(n);
            if (!labels!.names.includes(name)) throw new Error(`${n}: folder '${name}' is not one of the ${mapped.label} names ${JSON.stringify(labels!.names)} declared by the dataset card`);
            return labels!.str2int(name);
          })));
        }
      }
      tables[split] = { numRows: s.names.length, features: new Features(o.features), columns };
    }
    return { tables, usedFeatures: true };
  }
  let classLabel: ClassLabel | null = null;
  if (!o.dropLabels) {
    const labels = new Set<string>();
    const depths = new Set<number>();
    for (const s of Object.values(images)) for (const n of s.names) { labels.add(folder(n)); depths.add(n.split(/[\\/]/).length); }
    if (o.dropLabels === false || (labels.size > 1 && depths.size === 1)) classLabel = new ClassLabel({ names: [...labels].sort() });
  }
  for (const [split, s] of Object.entries(images)) {
    const features = new Features({ image: new Image() });
    const columns = new Map<string, Column>([['image', s.image]]);
    if (classLabel) {
      features.set('label', classLabel);
      columns.set('label', new ArrayColumn(s.names.map((n) => classLabel!.str2int(folder(n)))));
    }
    tables[split] = { numRows: s.names.length, features, columns };
  }
  return { tables, usedFeatures: false };
}
