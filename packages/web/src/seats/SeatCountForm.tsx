import { type FormEvent, useState } from 'react';
import { api, problemOf } from '../api/client';
import type { Problem } from '../api/types';
import { Notice } from '../components/Notice';
import { SelectField } from '../components/SelectField';
import { TextField } from '../components/TextField';
import type { SeatReportItem } from './types';

/** Lets an admin set an instance's licensed-user count, for products that do not report it themselves. */
export function SeatCountForm({ items, onSaved }: { items: SeatReportItem[]; onSaved: (message: string) => void }) {
  const [instance, setInstance] = useState(items[0]?.instance.slug ?? '');
  const [licensed, setLicensed] = useState('');
  const [active, setActive] = useState('');
  const [problem, setProblem] = useState<Problem>();
  const [saving, setSaving] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSaving(true);
    setProblem(undefined);
    try {
      const body = { licensedUsers: Number(licensed), ...(active === '' ? {} : { activeUsers: Number(active) }) };
      await api.put(`/instances/${encodeURIComponent(instance)}/seats`, body);
      setLicensed('');
      setActive('');
      onSaved(`Saved the licensed-user count of ${instance}.`);
    } catch (error) {
      setProblem(problemOf(error));
    } finally {
      setSaving(false);
    }
  }

  return (
    <form className="form form-section section-spaced" onSubmit={submit} aria-labelledby="seat-form-title">
      <h2 id="seat-form-title">Set a licensed-user count</h2>
      <p className="field-hint">Products that embed guard can report their count themselves with POST /guard/v1/seats; the latest report wins.</p>
      {problem ? <Notice kind="error">{problem.detail}</Notice> : null}
      <SelectField id="seat-instance" label="Instance" value={instance} onChange={setInstance} options={items.map((item) => ({ value: item.instance.slug, label: item.instance.name }))} required />
      <TextField id="seat-licensed" label="Licensed users" type="number" min="0" value={licensed} onChange={setLicensed} required error={problem?.field === 'licensedUsers' ? problem.detail : undefined} />
      <TextField id="seat-active" label="Active users" type="number" min="0" value={active} onChange={setActive} hint="Optional: humans who used the product recently." error={problem?.field === 'activeUsers' ? problem.detail : undefined} />
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={saving || instance === '' || licensed === ''}>
          Save count
        </button>
      </div>
    </form>
  );
}
