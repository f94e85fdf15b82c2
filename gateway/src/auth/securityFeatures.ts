import { Kind, parse, print, visit } from 'graphql';

// Spec URLs of the authorization features this gateway enforces itself.
const ENFORCED_HERE = /^https:\/\/specs\.apollo\.dev\/(authenticated|requiresScopes)\/v/;

/**
 * The supergraph as handed to Apollo Gateway. `@link(..., for: SECURITY)`
 * tells a gateway that cannot enforce a feature to refuse the supergraph;
 * @apollo/gateway does not know @authenticated and @requiresScopes, but this
 * gateway enforces them (authorizeOperation.ts), so the purpose is dropped
 * for those two features only. Any other security feature still makes the
 * gateway refuse to start.
 */
export function supergraphForGateway(supergraphSdl: string): string {
  const document = visit(parse(supergraphSdl), {
    Directive: (node) => {
      if (node.name.value !== 'link') return undefined;
      const url = node.arguments?.find((a) => a.name.value === 'url')?.value;
      if (url?.kind !== Kind.STRING || !ENFORCED_HERE.test(url.value)) return undefined;
      return { ...node, arguments: node.arguments?.filter((a) => a.name.value !== 'for') };
    },
  });
  return print(document);
}
