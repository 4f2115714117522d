import { useState } from 'react';

interface CopyButtonProps {
  text: string;
  /** Name of the copied value in the button's accessible name, such as "client secret". */
  what: string;
}

/** Copies text to the clipboard and reports the result in a polite live region. */
export function CopyButton({ text, what }: CopyButtonProps) {
  const [result, setResult] = useState('');

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setResult(`Copied the ${what}.`);
    } catch {
      setResult(`Could not copy the ${what}; select it and copy it by hand.`);
    }
  };

  return (
    <span className="copy">
      <button type="button" className="button button-small" onClick={() => void copy()} aria-label={`Copy ${what}`}>
        Copy
      </button>
      <span className="copy-result" role="status" aria-live="polite">
        {result}
      </span>
    </span>
  );
}
