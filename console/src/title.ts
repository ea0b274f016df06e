import { useEffect } from 'preact/hooks'

/** Sets the document title for the page: "<page> · pocdir console". */
export function useTitle(page: string) {
  useEffect(() => {
    document.title = `${page} · pocdir console`
  }, [page])
}
