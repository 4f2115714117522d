interface PagerProps {
  summary: string;
  busy?: boolean;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
  pageSize?: number;
  pageSizes?: number[];
  onPageSize?: (size: number) => void;
  previousLabel?: string;
  nextLabel?: string;
}

/** Previous and next buttons for cursor paging, with a live summary of what is shown. */
export function Pager(props: PagerProps) {
  const { summary, busy, hasPrevious, hasNext, onPrevious, onNext, pageSize, pageSizes, onPageSize } = props;
  return (
    <nav className="pager" aria-label="Pages">
      <p className="pager-summary" role="status" aria-live="polite">
        {busy ? 'Loading…' : summary}
      </p>
      {pageSize && pageSizes && onPageSize ? (
        <label className="pager-size">
          Per page{' '}
          <select value={pageSize} onChange={(event) => onPageSize(Number(event.target.value))}>
            {pageSizes.map((size) => (
              <option key={size} value={size}>
                {size}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      <div className="button-row">
        <button type="button" className="button" disabled={!hasPrevious || busy} onClick={onPrevious}>
          {props.previousLabel ?? 'Previous'}
        </button>
        <button type="button" className="button" disabled={!hasNext || busy} onClick={onNext}>
          {props.nextLabel ?? 'Next'}
        </button>
      </div>
    </nav>
  );
}
