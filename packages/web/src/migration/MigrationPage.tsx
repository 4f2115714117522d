import { type ChangeEvent, useState } from 'react';
import { api, apiUpload, problemOf } from '../api/client';
import type { Page, Problem } from '../api/types';
import { useResource } from '../api/use-resource';
import { LoadError, Loading } from '../components/LoadState';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { Time } from '../components/Time';
import { Link, navigate } from '../router';
import { ReadOnlyNotice } from '../components/ReadOnlyNotice';
import { useCanEdit } from '../session-context';
import type { ImportDetail, ImportSummary } from './types';

type UploadProblem = Problem & { errors?: Array<{ line?: number; field: string; message: string }> };

/** Saves the manifest as a file, because the panel fetches it with the session rather than through a link. */
async function downloadManifest(): Promise<void> {
  const manifest = await api.get<unknown>('/migrations/manifest');
  const url = URL.createObjectURL(new Blob([JSON.stringify(manifest, null, 2)], { type: 'application/json' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = 'tessera-manifest.json';
  link.click();
  URL.revokeObjectURL(url);
}

/** Uploads an export of service-style human accounts, lists earlier imports and offers the manifest. */
export function MigrationPage() {
  const imports = useResource<Page<ImportSummary>>('/migrations/imports');
  const canEdit = useCanEdit();
  const [problem, setProblem] = useState<UploadProblem>();
  const [uploading, setUploading] = useState(false);

  async function upload(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;

    setUploading(true);
    setProblem(undefined);
    try {
      const csv = file.name.toLowerCase().endsWith('.csv') || file.type === 'text/csv';
      const created = await apiUpload<ImportDetail>('/migrations/imports', await file.text(), csv ? 'text/csv' : 'application/json');
      navigate(`/migration/imports/${encodeURIComponent(created.id)}`);
    } catch (error) {
      setProblem(problemOf(error) as UploadProblem);
    } finally {
      setUploading(false);
    }
  }

  return (
    <div className="page">
      <PageTitle>Migration</PageTitle>
      <p className="field-hint page-intro">
        Turn human accounts that scripts use into service accounts: upload an export (JSON or CSV, see docs/migration.md), review one proposal per account, and accept the ones you want. The manifest lists every service account for recreating it elsewhere.
      </p>
      <ReadOnlyNotice />
      {canEdit ? (
        <div className="field">
          <label htmlFor="export-file">Upload an export of human accounts</label>
          <input id="export-file" type="file" accept=".json,.csv,application/json,text/csv" onChange={upload} disabled={uploading} />
        </div>
      ) : null}
      {uploading ? <Loading what="the proposals" /> : null}
      {problem ? (
        <Notice kind="error">
          <p>{problem.errors ? 'The export was not imported. Fix these entries and upload it again:' : problem.detail}</p>
          {problem.errors ? (
            <ul data-testid="import-errors">
              {problem.errors.map((entry, index) => (
                <li key={index}>{entry.message}</li>
              ))}
            </ul>
          ) : null}
        </Notice>
      ) : null}
      <div className="button-row">
        <button type="button" className="button" onClick={() => downloadManifest().catch((error) => setProblem(problemOf(error)))}>
          Download manifest
        </button>
      </div>
      <h2 className="section-spaced">Imports</h2>
      {imports.problem ? <LoadError problem={imports.problem} retry={imports.reload} /> : null}
      {imports.loading && !imports.data ? <Loading what="imports" /> : null}
      {imports.data && imports.data.items.length === 0 ? <p className="muted">No imports yet.</p> : null}
      {imports.data && imports.data.items.length > 0 ? (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">Imports</caption>
            <thead>
              <tr>
                <th scope="col">Uploaded</th>
                <th scope="col">Format</th>
                <th scope="col">Accounts</th>
                <th scope="col">Pending</th>
                <th scope="col">Accepted</th>
                <th scope="col">Rejected</th>
              </tr>
            </thead>
            <tbody>
              {imports.data.items.map((entry) => (
                <tr key={entry.id}>
                  <td>
                    <Link to={`/migration/imports/${encodeURIComponent(entry.id)}`}>
                      <Time value={entry.createdAt} format="datetime" />
                    </Link>
                  </td>
                  <td>{entry.format.toUpperCase()}</td>
                  <td>{entry.accountCount}</td>
                  <td>{entry.proposals.pending}</td>
                  <td>{entry.proposals.accepted}</td>
                  <td>{entry.proposals.rejected}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}
