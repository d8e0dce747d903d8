import * as fs from 'fs';
import * as path from 'path';
import {
  CfnParameter,
  DockerImageAssetLocation,
  DockerImageAssetSource,
  FileAssetLocation,
  FileAssetPackaging,
  FileAssetSource,
  Fn,
  ISynthesisSession,
  Stack,
  StackSynthesizer,
} from 'aws-cdk-lib';
import { KongFleetError } from '../kong/errors';
import { zipDirectory } from './zip';

/** Logical IDs (and names) of the parameters every template with assets takes. */
export const ASSET_BUCKET_PARAMETER = 'AssetBucket';
export const ASSET_PREFIX_PARAMETER = 'AssetPrefix';

/** One file in the asset folder, as `assets/manifest.json` lists it. */
export interface TemplateAsset {
  /** File name in the asset folder (`<source hash>.zip`), also the object key after the prefix. */
  readonly file: string;
  readonly sizeBytes: number;
  /** What the file was made from: a directory (zipped here) or a file (copied). */
  readonly packaging: 'zip-directory' | 'file';
  /** Templates that use the file. */
  readonly templates: string[];
}

/**
 * Where the templates' assets go: one file per source hash in `<dir>`, shared by every template
 * that uses it (all the planes run the same handler bundles).
 */
export class TemplateAssetFolder {
  private readonly assets = new Map<
    string,
    { file: string; sizeBytes: number; packaging: TemplateAsset['packaging']; templates: Set<string> }
  >();

  constructor(public readonly dir: string) {}

  /** Writes the asset once (a later call for the same hash only records the template). */
  public add(source: FileAssetSource, template: string, assemblyDir: string): string {
    if (!source.fileName) {
      throw new KongFleetError(`template ${template}`, 'has an asset built by a command, which templates cannot ship', {
        got: source.executable,
        expected: 'file or directory assets',
      });
    }
    const file = `${source.sourceHash}.zip`;
    let entry = this.assets.get(source.sourceHash);
    if (!entry) {
      const from = path.isAbsolute(source.fileName) ? source.fileName : path.join(assemblyDir, source.fileName);
      const packaging = source.packaging === FileAssetPackaging.FILE ? 'file' : 'zip-directory';
      const target = path.join(this.dir, file);
      fs.mkdirSync(this.dir, { recursive: true });
      if (packaging === 'file') {
        if (path.extname(from) !== '.zip') {
          throw new KongFleetError(`template ${template}`, 'has a single-file asset that is not a zip', {
            got: from,
            expected: 'Lambda code or layers (directories or .zip files)',
          });
        }
        fs.copyFileSync(from, target);
      } else {
        fs.writeFileSync(target, zipDirectory(from));
      }
      entry = { file, sizeBytes: fs.statSync(target).size, packaging, templates: new Set() };
      this.assets.set(source.sourceHash, entry);
    }
    entry.templates.add(template);
    return file;
  }

  /** The manifest, sorted by file name. */
  public manifest(): TemplateAsset[] {
    return [...this.assets.values()]
      .map((a) => ({
        file: a.file,
        sizeBytes: a.sizeBytes,
        packaging: a.packaging,
        templates: [...a.templates].sort(),
      }))
      .sort((a, b) => (a.file < b.file ? -1 : 1));
  }

  /** Writes `manifest.json` next to the assets. */
  public writeManifest(): string {
    fs.mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, 'manifest.json');
    fs.writeFileSync(file, `${JSON.stringify({ assets: this.manifest() }, null, 2)}\n`);
    return file;
  }
}

/**
 * A stack synthesizer for standalone templates: no CDK bootstrap (no `BootstrapVersion`
 * parameter or rule, no staging bucket, no deployment roles). File assets go to a
 * {@link TemplateAssetFolder}; the template finds them at `s3://${AssetBucket}/${AssetPrefix}<hash>.zip`,
 * two parameters the user fills after `aws s3 sync`. Docker image assets are refused: the planes
 * pull Kong's public images.
 */
export class ParameterizedSynthesizer extends StackSynthesizer {
  private bucket?: CfnParameter;
  private prefix?: CfnParameter;

  constructor(
    private readonly assets: TemplateAssetFolder,
    private readonly templateName: string,
  ) {
    super();
  }

  public addFileAsset(asset: FileAssetSource): FileAssetLocation {
    const stack = this.boundStack;
    const assemblyDir =
      stack.node.root instanceof Stack ? '.' : ((stack.node.root as { outdir?: string }).outdir ?? '.');
    const file = this.assets.add(asset, this.templateName, assemblyDir);
    const { bucket, prefix } = this.parameters(stack);
    const objectKey = Fn.join('', [prefix.valueAsString, file]);
    return {
      bucketName: bucket.valueAsString,
      objectKey,
      httpUrl: Fn.join('', [
        'https://s3.',
        stack.region,
        '.',
        stack.urlSuffix,
        '/',
        bucket.valueAsString,
        '/',
        objectKey,
      ]),
      s3ObjectUrl: Fn.join('', ['s3://', bucket.valueAsString, '/', objectKey]),
    };
  }

  public addDockerImageAsset(asset: DockerImageAssetSource): DockerImageAssetLocation {
    throw new KongFleetError(`template ${this.templateName}`, 'has a Docker image asset', {
      got: asset.directoryName ?? asset.executable,
      expected: 'no image assets (Kong runs from its public images)',
    });
  }

  public synthesize(session: ISynthesisSession): void {
    this.synthesizeTemplate(session);
    this.emitArtifact(session);
  }

  private parameters(stack: Stack): { bucket: CfnParameter; prefix: CfnParameter } {
    this.bucket ??= new CfnParameter(stack, ASSET_BUCKET_PARAMETER, {
      type: 'String',
      description:
        'S3 bucket holding the Lambda code of this template (the assets folder uploaded with aws s3 sync), in the stack region',
      // S3 bucket naming rules (general purpose buckets).
      allowedPattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
      constraintDescription:
        '3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit',
    });
    this.prefix ??= new CfnParameter(stack, ASSET_PREFIX_PARAMETER, {
      type: 'String',
      description: 'Key prefix of the assets in the bucket, ending with / (empty for the bucket root)',
      default: 'kong-fleet/',
      allowedPattern: '^([A-Za-z0-9!_.*()-]+/)*$',
      constraintDescription: 'empty, or path segments of letters, digits and !_.*()- each followed by /',
    });
    return { bucket: this.bucket, prefix: this.prefix };
  }
}
