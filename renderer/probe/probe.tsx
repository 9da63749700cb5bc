// The design-system CSP probe (docs/ui-design-system.md): every Cloudscape component the console relies on, rendered
// at once, so test/e2e/design-system-csp.spec.ts can load it under the console's own CSP (served by the real browser
// host) and see whether any of them needs inline styles, inline script or eval. Not part of the console's bundle.
import { useState } from 'react';
import { createRoot } from 'react-dom/client';
import '@cloudscape-design/global-styles/index.css';
import { I18nProvider } from '@cloudscape-design/components/i18n';
import enMessages from '@cloudscape-design/components/i18n/messages/all.en';
import AppLayout from '@cloudscape-design/components/app-layout';
import SideNavigation from '@cloudscape-design/components/side-navigation';
import BreadcrumbGroup from '@cloudscape-design/components/breadcrumb-group';
import Table from '@cloudscape-design/components/table';
import PropertyFilter from '@cloudscape-design/components/property-filter';
import Modal from '@cloudscape-design/components/modal';
import Flashbar from '@cloudscape-design/components/flashbar';
import PieChart from '@cloudscape-design/components/pie-chart';
import BarChart from '@cloudscape-design/components/bar-chart';
import Header from '@cloudscape-design/components/header';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Container from '@cloudscape-design/components/container';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { useCollection } from '@cloudscape-design/collection-hooks';

interface Row {
  id: string;
  site: string;
  status: string;
}

const ROWS: Row[] = Array.from({ length: 40 }, (_, i) => ({
  id: `robot-${String(i).padStart(3, '0')}`,
  site: i % 2 ? 'Lyon' : 'Oslo',
  status: i % 5 === 0 ? 'quarantined' : 'deployed',
}));

function Probe() {
  const [modal, setModal] = useState(true);
  const { items, collectionProps, propertyFilterProps } = useCollection(ROWS, {
    propertyFiltering: {
      filteringProperties: [
        { key: 'site', propertyLabel: 'Site', groupValuesLabel: 'Sites', operators: ['=', '!='] },
        { key: 'status', propertyLabel: 'Status', groupValuesLabel: 'Statuses', operators: ['='] },
      ],
    },
    sorting: {},
  });
  return (
    <AppLayout
      navigation={
        <SideNavigation
          header={{ text: 'Probe', href: '#/' }}
          activeHref="#/fleet"
          items={[{ type: 'section', text: 'Fleet', items: [{ type: 'link', text: 'Robots', href: '#/fleet' }] }]}
        />
      }
      breadcrumbs={<BreadcrumbGroup items={[{ text: 'Console', href: '#/' }, { text: 'Probe', href: '#/probe' }]} />}
      notifications={<Flashbar items={[{ type: 'success', content: 'Flashbar rendered', id: 'f1', dismissible: true, onDismiss: () => {} }]} />}
      toolsHide
      content={
        <SpaceBetween size="l">
          <Header variant="h1">Probe</Header>
          <StatusIndicator type="error">compromised</StatusIndicator>
          <Table
            {...collectionProps}
            header={<Header>Robots</Header>}
            items={items}
            ariaLabels={{ tableLabel: 'Robots' }}
            columnDefinitions={[
              { id: 'id', header: 'Robot', cell: (r) => r.id, sortingField: 'id' },
              { id: 'site', header: 'Site', cell: (r) => r.site, sortingField: 'site' },
              { id: 'status', header: 'Status', cell: (r) => r.status },
            ]}
            filter={<PropertyFilter {...propertyFilterProps} filteringPlaceholder="Find robots" />}
          />
          <Container header={<Header>Charts</Header>}>
            <PieChart
              variant="donut"
              ariaLabel="Robots by status"
              data={[
                { title: 'deployed', value: 32 },
                { title: 'quarantined', value: 8 },
              ]}
            />
            <BarChart
              ariaLabel="Keys by state"
              xScaleType="categorical"
              series={[{ title: 'local', type: 'bar', data: [{ x: 'active', y: 3 }, { x: 'deactivated', y: 1 }] }]}
              xTitle="State"
              yTitle="Keys"
            />
          </Container>
          <Modal visible={modal} onDismiss={() => setModal(false)} header="Probe dialog" footer={<Button onClick={() => setModal(false)}>Close</Button>}>
            A modal dialog.
          </Modal>
          <p id="probe-ready">ready</p>
        </SpaceBetween>
      }
    />
  );
}

createRoot(document.getElementById('root')!).render(
  <I18nProvider locale="en" messages={[enMessages]}>
    <Probe />
  </I18nProvider>,
);
