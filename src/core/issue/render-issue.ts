import { Liquid, type Template } from 'liquidjs';
import type { Config } from '../../config/schema.js';
import { FintechWeeklyError } from '../errors.js';
import type { ParsedIssue } from './front-matter.js';
import { markdownToEmailHtml } from './markdown.js';
import { subscribeUrl, UNSUBSCRIBE_TOKEN_MARKER, unsubscribeUrl } from '../message/placeholders.js';
import { renderPlainText } from './plain-text.js';
import { interfaceStrings, locateTemplateLine, TEMPLATE_ENTRY, type TemplateSource } from './template.js';
import { collectWarnings, type BuildWarning } from './warnings.js';

/** mjml2html, passed in so that loading MJML (half a second) happens only when something is rendered. */
export type CompileMjml = (
  mjml: string,
  options: { validationLevel: 'strict'; keepComments: boolean; fonts: Record<string, string> },
) => Promise<{ html: string }>;

export interface RenderInput {
  parsed: ParsedIssue;
  slug: string;
  /** The issue file as messages name it. */
  file: string;
  config: Config;
}

export interface RenderedIssue {
  /** Both contain UNSUBSCRIBE_TOKEN_MARKER where each recipient's token goes. */
  html: string;
  text: string;
  warnings: BuildWarning[];
}

export interface IssueRenderer {
  render(input: RenderInput): Promise<RenderedIssue>;
}

interface MjmlValidationError {
  line?: number;
  message?: string;
  tagName?: string;
}

/**
 * Parses the template once; each render only fills it in and compiles the result. Create one per
 * process and template, not one per issue.
 */
export function createIssueRenderer(template: TemplateSource, compile: CompileMjml): IssueRenderer {
  const entryFile = `${template.dir}/${TEMPLATE_ENTRY}`;
  const source = template.files.get(TEMPLATE_ENTRY);
  if (source === undefined) {
    throw new FintechWeeklyError(`${entryFile}: template not found`, { file: entryFile, hint: 'Check "template" in the config: it names a folder under templates/ that holds issue.mjml.' });
  }
  const liquid = new Liquid({
    templates: Object.fromEntries(template.files),
    outputEscape: 'escape',
    strictFilters: true,
    cache: true,
  });
  let parsed: Template[];
  try {
    parsed = liquid.parse(source, entryFile);
  } catch (error) {
    throw templateError(entryFile, error);
  }

  return {
    async render({ parsed: issue, slug, file, config }) {
      const strings = interfaceStrings(template, issue.lang);
      const body = markdownToEmailHtml(issue.markdown, { linkColor: config.brand.colors.primary });
      const publicUrl = config.publicUrl.replace(/\/+$/, '');
      const links = {
        unsubscribeUrl: unsubscribeUrl(publicUrl, UNSUBSCRIBE_TOKEN_MARKER),
        viewInBrowserUrl: `${publicUrl}/${slug}/`,
        // The sign-up form when serve has one, else the archive home.
        subscribeUrl: config.signup.enabled ? subscribeUrl(publicUrl) : `${publicUrl}/`,
      };
      const context = {
        lang: issue.lang,
        title: issue.frontMatter.title,
        subject: issue.subject,
        preheader: issue.preheader,
        source: issue.frontMatter.source,
        body: body.html,
        brand: config.brand,
        sender: config.sender,
        disclaimer: config.disclaimer,
        publicUrl,
        strings,
        ...links,
      };
      let mjml: string;
      try {
        mjml = (await liquid.render(parsed, context)) as string;
      } catch (error) {
        throw templateError(entryFile, error);
      }
      let html: string;
      try {
        ({ html } = await compile(mjml, { validationLevel: 'strict', keepComments: false, fonts: {} }));
      } catch (error) {
        throw mjmlError(template, mjml, file, error);
      }
      const text = renderPlainText({
        tagline: config.brand.tagline,
        viewInBrowser: { label: strings.viewInBrowser, url: links.viewInBrowserUrl },
        title: issue.frontMatter.title,
        bodyHtml: body.html,
        source: issue.frontMatter.source ? { label: strings.viewOriginal, url: issue.frontMatter.source } : undefined,
        disclaimer: config.disclaimer,
        footer: [
          strings.discover,
          { label: strings.subscribe, url: links.subscribeUrl },
          config.brand.tagline,
          config.sender.postalAddress,
          { label: strings.unsubscribe, url: links.unsubscribeUrl },
        ],
      });
      const warnings = collectWarnings({ html, references: body.references, source: issue.frontMatter.source, subject: issue.subject, preheader: issue.preheader });
      return { html, text, warnings };
    },
  };
}

function templateError(entryFile: string, error: unknown): FintechWeeklyError {
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new FintechWeeklyError(`${entryFile}: template error: ${message}`, { file: entryFile, cause: error, hint: 'Fix the Liquid tag named above in the template.' });
}

function mjmlError(template: TemplateSource, mjml: string, issueFile: string, error: unknown): FintechWeeklyError {
  const details = (error as { errors?: MjmlValidationError[] }).errors;
  const entryFile = `${template.dir}/${TEMPLATE_ENTRY}`;
  if (!Array.isArray(details) || details.length === 0) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return new FintechWeeklyError(`${entryFile}: MJML error while building ${issueFile}: ${message}`, { file: entryFile, cause: error });
  }
  const renderedLines = mjml.split('\n');
  const lines = details.map((detail) => {
    const at = detail.line ? locateTemplateLine(template, renderedLines[detail.line - 1] ?? '') : undefined;
    const where = at ? `${at.file}:${at.line}` : `${entryFile} (line ${detail.line ?? '?'} after filling in ${issueFile})`;
    return `${where}: MJML: ${detail.tagName ? `<${detail.tagName}> ` : ''}${detail.message ?? 'invalid'}`;
  });
  return new FintechWeeklyError(lines.join('\n'), { file: entryFile, cause: error, hint: 'Fix the template at the line named above (see https://documentation.mjml.io for each tag and its attributes).' });
}
