import type { ReactNode } from 'react';

/** The header every page opens with: its title and, beside it, its links or actions. */
export function PageHeader({ title, children }: { title: ReactNode; children?: ReactNode }) {
  return (
    <header className="page-header">
      <h1>{title}</h1>
      {children}
    </header>
  );
}
