// The 30-day forecast as a calendar (issue 13, "a 30-day calendar / timeline of what rotates when"): one row per week,
// Monday to Sunday, each day with its number of rotations per key type; choosing a day narrows the forecast list
// below to that day. Drawn as a Cloudscape Table so that it reads as a grid to a screen reader (row and column
// headers) without CSS of its own.
import Table from '@cloudscape-design/components/table';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import { KEY_TYPES } from '../../../shared/domain.ts';
import { KEY_TYPE_WORDS, shortDay, type CalendarDay } from './rotationFormat.ts';

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

function DayCell({ day, today, picked, onPick }: { day: CalendarDay | null; today: string; picked: string | null; onPick: (day: string) => void }) {
  if (!day) return null;
  const label = `${shortDay(day.day)}${day.day === today ? ' (today)' : ''}`;
  const types = KEY_TYPES.filter((t) => day.byType[t] > 0).map((t) => `${day.byType[t]} ${KEY_TYPE_WORDS[t].toLowerCase()}`);
  return (
    <Box>
      <Box variant={day.day === today || day.day === picked ? 'strong' : 'span'}>{label}</Box>
      {day.total === 0 ? (
        <Box variant="small" color="text-body-secondary">
          none
        </Box>
      ) : (
        <Box>
          <Button variant="inline-link" ariaLabel={`Show the ${day.total} ${day.total === 1 ? 'rotation' : 'rotations'} of ${label}`} onClick={() => onPick(day.day)}>
            {`${day.total} ${day.total === 1 ? 'rotation' : 'rotations'}`}
          </Button>
          <Box variant="small">{types.join(', ')}</Box>
        </Box>
      )}
    </Box>
  );
}

export function RotationCalendar({ weeks, today, picked, onPick, loading }: { weeks: Array<Array<CalendarDay | null>>; today: string; picked: string | null; onPick: (day: string) => void; loading: boolean }) {
  return (
    <Table
      ariaLabels={{ tableLabel: 'Rotation calendar' }}
      variant="embedded"
      wrapLines
      loading={loading}
      loadingText="Loading the forecast"
      items={weeks.map((days, index) => ({ index, days }))}
      trackBy={(w) => String(w.index)}
      empty={<Box textAlign="center">No days to show.</Box>}
      columnDefinitions={WEEKDAYS.map((name, column) => ({
        id: name,
        header: name.slice(0, 3),
        cell: (w: { index: number; days: Array<CalendarDay | null> }) => <DayCell day={w.days[column] ?? null} today={today} picked={picked} onPick={onPick} />,
      }))}
    />
  );
}
