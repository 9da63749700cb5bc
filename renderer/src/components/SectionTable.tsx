// A table that is a section of a screen: an h2 header with its counter, description and actions, and an empty state in
// words centred (the shape the batch jobs, rollout waves and alert inbox tables each wrote out). Everything else is the
// Cloudscape Table's own props.
import type { ReactNode } from 'react';
import Table, { type TableProps } from '@cloudscape-design/components/table';
import Header from '@cloudscape-design/components/header';
import Box from '@cloudscape-design/components/box';

export type SectionTableProps<T> = Omit<TableProps<T>, 'header' | 'ariaLabels' | 'empty'> & {
  /** The section's heading. */
  title: string;
  /** The table's accessible name (default: the title). */
  label?: string;
  counter?: string;
  description?: ReactNode;
  actions?: ReactNode;
  /** What an empty table says. */
  empty: ReactNode;
};

export function SectionTable<T>({ title, label, counter, description, actions, empty, ...table }: SectionTableProps<T>) {
  return (
    <Table
      {...table}
      ariaLabels={{ tableLabel: label ?? title }}
      header={
        <Header variant="h2" counter={counter} description={description} actions={actions}>
          {title}
        </Header>
      }
      empty={<Box textAlign="center">{empty}</Box>}
    />
  );
}
