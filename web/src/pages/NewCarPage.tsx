import { useMutation } from '@apollo/client/react';
import { useState } from 'react';
import { AddCarDocument } from '../__generated__/graphql';
import { newRequestId } from '../apollo';
import { CarForm, type CarValues } from '../components/CarForm';
import { IssueSummary } from '../components/Issues';
import { PageHeader } from '../components/PageHeader';
import { issuesFromError } from '../lib/apolloIssues';
import { Link, navigate } from '../router';

export function NewCarPage() {
  const [values, setValues] = useState<CarValues>({ brand: '', model: '', version: '', costCenterId: '' });
  const [addCar, { loading, error }] = useMutation(AddCarDocument, { errorPolicy: 'all' });

  async function save() {
    const result = await addCar({
      variables: {
        input: {
          brand: values.brand.trim(),
          model: values.model.trim(),
          version: values.version.trim() || null,
          costCenterId: values.costCenterId,
        },
      },
      // A retry of this very request (same key, same input) cannot create a second car.
      context: { headers: { 'idempotency-key': newRequestId() } },
    }).catch(() => null);
    const car = result?.data?.createCar;
    if (car) navigate(`/cars/${car.id}`, { saved: `Created (revision ${car.revision}).` });
  }

  return (
    <section>
      <PageHeader title="New car">
        <Link to="/cars">Back to the list</Link>
      </PageHeader>
      <CarForm values={values} onChange={setValues} onSubmit={save} submitLabel="Create car" busy={loading} />
      <IssueSummary issues={issuesFromError(error)} title="The car was not created" />
    </section>
  );
}
