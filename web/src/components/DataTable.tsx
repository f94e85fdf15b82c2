import type { ReactNode } from 'react';

/** A table with one header row naming its columns; the rows are the children. */
export function DataTable({
  columns,
  className,
  children,
}: {
  columns: readonly string[];
  className?: string;
  children: ReactNode;
}) {
  return (
    <table className={className}>
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column}>{column}</th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}
