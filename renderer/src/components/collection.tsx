// What the tables whose rows arrive whole (keys, providers) share: the property filter's words and the
// useCollection setup (property filter, sorting by one field, optional paging), with the empty and no-match states.
import Box from '@cloudscape-design/components/box';
import type { PropertyFilterProps } from '@cloudscape-design/components/property-filter';
import { useCollection } from '@cloudscape-design/collection-hooks';

/** Cloudscape's PropertyFilter words; `what` names the rows ("keys"), `placeholder` says what can be found. */
export function propertyFilterStrings(what: string, placeholder: string): PropertyFilterProps.I18nStrings {
  return {
    filteringAriaLabel: `Find ${what}`,
    filteringPlaceholder: placeholder,
    dismissAriaLabel: 'Dismiss',
    clearFiltersText: 'Clear filters',
    groupValuesText: 'Values',
    groupPropertiesText: 'Properties',
    operatorsText: 'Operators',
    operationAndText: 'and',
    operationOrText: 'or',
    operatorContainsText: 'Contains',
    operatorDoesNotContainText: 'Does not contain',
    operatorEqualsText: 'Equals',
    operatorDoesNotEqualText: 'Does not equal',
    editTokenHeader: 'Edit filter',
    propertyText: 'Property',
    operatorText: 'Operator',
    valueText: 'Value',
    cancelActionText: 'Cancel',
    applyActionText: 'Apply',
    allPropertiesLabel: 'All properties',
    tokenLimitShowMore: 'Show more',
    tokenLimitShowFewer: 'Show fewer',
    enteredTextLabel: (text) => `Use: "${text}"`,
    removeTokenButtonAriaLabel: (token) => `Remove filter ${token.propertyLabel ?? ''} ${token.value}`,
  };
}

interface FilteredCollection {
  properties: PropertyFilterProps.FilteringProperty[];
  /** The column the rows are sorted by at first. */
  sortBy: string;
  empty: React.ReactNode;
  noMatch: string;
  defaultQuery?: PropertyFilterProps.Query;
  pageSize?: number;
}

/** useCollection with a property filter, sorting and (with pageSize) paging, for a list that arrives whole. */
export function useFilteredCollection<T>(items: readonly T[], { properties, sortBy, empty, noMatch, defaultQuery, pageSize }: FilteredCollection) {
  return useCollection(items, {
    propertyFiltering: {
      filteringProperties: properties,
      ...(defaultQuery ? { defaultQuery } : {}),
      empty: (
        <Box textAlign="center" color="inherit">
          {empty}
        </Box>
      ),
      noMatch: (
        <Box textAlign="center" color="inherit">
          <b>{noMatch}</b>
        </Box>
      ),
    },
    sorting: { defaultState: { sortingColumn: { sortingField: sortBy as keyof T & string } } },
    ...(pageSize ? { pagination: { pageSize } } : {}),
  });
}
