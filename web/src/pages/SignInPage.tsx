import { useMutation } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { SignInDocument } from '../__generated__/graphql';
import { InputField } from '../components/FormFields';
import { IssueSummary } from '../components/Issues';
import { issuesFromError } from '../lib/apolloIssues';
import { startSession } from '../session';

export function SignInPage({ endedBecause }: { endedBecause: string | null }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [signIn, { loading, error }] = useMutation(SignInDocument, { errorPolicy: 'all' });

  async function submit(event: FormEvent) {
    event.preventDefault();
    const result = await signIn({ variables: { username: username.trim(), password } }).catch(() => null);
    const login = result?.data?.login;
    if (login) {
      setPassword('');
      startSession({
        token: login.token,
        expiresAt: login.expiresAt,
        user: { id: login.user.id, username: login.user.username, groups: [...login.user.groups] },
      });
    }
  }

  const issues = issuesFromError(error);
  return (
    <main className="sign-in">
      <h1>Fleet console</h1>
      <p className="hint">Sign in with your fleet account.</p>
      {endedBecause ? (
        <p className="notice" role="status">
          {endedBecause}
        </p>
      ) : null}
      <form onSubmit={submit} aria-label="Sign in">
        <InputField
          label="Username"
          name="username"
          autoComplete="username"
          value={username}
          onChange={setUsername}
          required
          autoFocus
        />
        <InputField
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={setPassword}
          required
        />
        <button type="submit" disabled={loading}>
          {loading ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <IssueSummary issues={issues} title="Could not sign in" />
    </main>
  );
}
